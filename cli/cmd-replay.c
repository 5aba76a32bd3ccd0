/* cmd-replay.c: `ptview replay` — predict what a trace
 * (../shared/spec/trace.md) does with the model of the kernel (the
 * default), run it on the running kernel (--live), run both and score the
 * prediction field by field (--compare), or score two record files
 * (--score). */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/error.h"
#include "core/kernel.h"
#include "core/replay-score.h"
#include "core/replay.h"
#include "core/snapshot.h"
#include "core/trace.h"

struct printer {
	FILE *f;
	bool json, explain;
	bool timing;		/* --timing: "usec" per event */
	struct timespec last;	/* when the previous record was written */
};

static uint64_t usec_since(struct timespec *last)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t us = (int64_t)(now.tv_sec - last->tv_sec) * 1000000 +
		     (now.tv_nsec - last->tv_nsec) / 1000;
	*last = now;
	return us > 0 ? (uint64_t)us : 0;
}

static void print_outcomes(struct printer *pr, const struct ptv_replay_event *e)
{
	if (pr->json) {
		if (!e->noutcomes)
			return;
		fputs(",\"outcomes\":[", pr->f);
		for (size_t i = 0; i < e->noutcomes; i++) {
			const struct ptv_replay_outcome *o = &e->outcomes[i];
			fprintf(pr->f, "%s{\"fn\":\"%s\",\"addr\":\"%#" PRIx64
				"\",\"len\":%" PRIu64 ",\"what\":\"%s\"}",
				i ? "," : "", o->fn, o->addr, o->len, o->what);
		}
		fputc(']', pr->f);
		return;
	}
	for (size_t i = 0; i < e->noutcomes; i++) {
		const struct ptv_replay_outcome *o = &e->outcomes[i];
		fprintf(pr->f, "  %s %#" PRIx64 "+%#" PRIx64, o->fn, o->addr,
			o->len);
		if (pr->explain)
			fprintf(pr->f, ": %s", o->what);
		fputc('\n', pr->f);
	}
}

static struct ptv_error *out_status(struct printer *pr)
{
	if (ferror(pr->f))
		return ptv_error_create(PTV_ERR_OTHER, "writing the records "
					"failed");
	return NULL;
}

static struct ptv_error *print_event(void *arg, const struct ptv_replay_event *e)
{
	struct printer *pr = arg;
	if (pr->json) {
		fprintf(pr->f, "{\"line\":%u", e->line);
		if (e->task)
			fprintf(pr->f, ",\"task\":\"%s\"", e->task);
		fprintf(pr->f, ",\"event\":\"%s\",\"ret\":%" PRId64, e->event,
			e->ret);
		if (e->has_faults)
			fprintf(pr->f, ",\"faults\":{\"minor\":%" PRIu64
				",\"major\":%" PRIu64 "}", e->minor, e->major);
		if (pr->timing)
			fprintf(pr->f, ",\"usec\":%" PRIu64, usec_since(&pr->last));
		print_outcomes(pr, e);
		fputs("}\n", pr->f);
	} else {
		fprintf(pr->f, "line %u%s%s %s: ret %" PRId64, e->line,
			e->task ? " " : "", e->task ? e->task : "", e->event,
			e->ret);
		if (e->has_faults)
			fprintf(pr->f, ", faults %" PRIu64 " minor %" PRIu64
				" major", e->minor, e->major);
		if (pr->timing)
			fprintf(pr->f, ", %" PRIu64 " us", usec_since(&pr->last));
		fputc('\n', pr->f);
		print_outcomes(pr, e);
	}
	return out_status(pr);
}

static const char *const state_names[] = {
	[PTV_REPLAY_NONE] = "none", [PTV_REPLAY_PRESENT] = "present",
	[PTV_REPLAY_SWAP] = "swap",
};

static const char *tf(bool b) { return b ? "true" : "false"; }

static struct ptv_error *print_page(void *arg, const struct ptv_replay_page *p)
{
	struct printer *pr = arg;
	bool present = p->state == PTV_REPLAY_PRESENT;
	if (pr->json) {
		fprintf(pr->f, "{\"check\":\"%s\",\"task\":\"%s\",\"region\":"
			"\"%s\",\"off\":%" PRIu64 ",\"state\":\"%s\"", p->check,
			p->task, p->region, p->off, state_names[p->state]);
		if (present)
			fprintf(pr->f, ",\"frame\":\"%s\",\"anon\":%s,"
				"\"exclusive\":%s,\"thp\":%s,\"pmd\":%s,"
				"\"mapcount\":%" PRIu64, p->frame, tf(p->anon),
				tf(p->exclusive), tf(p->thp), tf(p->pmd),
				p->mapcount);
		fputs("}\n", pr->f);
	} else {
		fprintf(pr->f, "%s %s %s+%#" PRIx64 " %s", p->check, p->task,
			p->region, p->off, state_names[p->state]);
		if (present)
			fprintf(pr->f, " %s%s%s%s%s mapcount %" PRIu64, p->frame,
				p->anon ? " anon" : "",
				p->exclusive ? " exclusive" : "",
				p->thp ? " thp" : "", p->pmd ? " pmd" : "",
				p->mapcount);
		fputc('\n', pr->f);
	}
	if (pr->timing)
		usec_since(&pr->last);
	return out_status(pr);
}

static struct ptv_error *print_counters(void *arg,
					const struct ptv_replay_counters *c)
{
	struct printer *pr = arg;
	const char *fmt = pr->json ?
		"{\"check\":\"%s\",\"task\":\"%s\",\"counters\":{"
		"\"rss_anon_kb\":%" PRId64 ",\"rss_file_kb\":%" PRId64
		",\"rss_shmem_kb\":%" PRId64 ",\"swap_kb\":%" PRId64
		",\"pgtables_kb\":%" PRId64 "},\"faults\":{\"minor\":%" PRIu64
		",\"major\":%" PRIu64 "}}\n" :
		"%s %s: rss_anon %" PRId64 " kB, rss_file %" PRId64
		" kB, rss_shmem %" PRId64 " kB, swap %" PRId64 " kB, pgtables %"
		PRId64 " kB; faults %" PRIu64 " minor %" PRIu64 " major\n";
	fprintf(pr->f, fmt, c->check, c->task, c->rss_anon_kb, c->rss_file_kb,
		c->rss_shmem_kb, c->swap_kb, c->pgtables_kb, c->minor,
		c->major);
	if (!pr->json)
		fflush(pr->f);
	if (pr->timing)
		usec_since(&pr->last);
	return out_status(pr);
}

static void print_diff(void *arg, const struct ptv_score_diff *d)
{
	FILE *f = arg;
	switch (d->kind) {
	case PTV_SCORE_MISMATCH:
		fprintf(f, "%s: %s: observed %s, predicted %s\n", d->key,
			d->field, d->observed,
			d->predicted ? d->predicted : "nothing");
		break;
	case PTV_SCORE_MISSING:
		fprintf(f, "%s: missing from the prediction (%" PRIu64
			" fields)\n", d->key, d->fields);
		break;
	case PTV_SCORE_EXTRA:
		fprintf(f, "%s: extra in the prediction (not scored)\n",
			d->key);
		break;
	}
}

static int report_score(const struct ptv_score *s)
{
	double acc = s->total ? (double)s->matched / (double)s->total : 1.0;
	/* Never print 1.0000 for a score that is not perfect. */
	if (s->matched < s->total && acc > 0.99994)
		acc = 0.9999;
	printf("accuracy: %.4f (%" PRIu64 "/%" PRIu64 " fields)\n", acc,
	       s->matched, s->total);
	if (fflush(stdout) != 0 || ferror(stdout))
		return ptv_cli_report(ptv_error_create(PTV_ERR_OTHER,
			"writing the differences failed"));
	return s->matched < s->total ? PTV_EXIT_MISMATCH : PTV_EXIT_OK;
}

static int run_score(const char *observed, const char *predicted)
{
	struct ptv_score s;
	struct ptv_error *err = ptv_replay_score(observed, predicted,
						 print_diff, stdout, &s);
	if (err)
		return ptv_cli_report(err);
	return report_score(&s);
}

/* --compare: the records of both runs collected in memory, then scored. */
static int run_compare(const struct ptv_trace *t,
		       const struct ptv_replay_model_opts *mo)
{
	char *obs = NULL, *pred = NULL;
	size_t nobs = 0, npred = 0;
	FILE *fo = open_memstream(&obs, &nobs);
	FILE *fp = open_memstream(&pred, &npred);
	struct ptv_error *err = NULL;
	if (!fo || !fp) {
		err = ptv_enomem;
		goto out;
	}
	struct printer po = { .f = fo, .json = true };
	struct printer pp = { .f = fp, .json = true };
	struct ptv_replay_sink so = { &po, print_event, print_page,
				      print_counters };
	struct ptv_replay_sink sp = { &pp, print_event, print_page,
				      print_counters };
	if ((err = ptv_replay_live(t, &so)) ||
	    (err = ptv_replay_model(t, mo, &sp)))
		goto out;
	fclose(fo);
	fclose(fp);
	fo = fmemopen(obs, nobs, "r");
	fp = fmemopen(pred, npred, "r");
	if (!fo || !fp) {
		err = ptv_enomem;
		goto out;
	}
	struct ptv_score s;
	err = ptv_replay_score_files(fo, "observed (--live)", fp,
				     "predicted (model)", print_diff, stdout,
				     &s);
	if (!err) {
		fclose(fo);
		fclose(fp);
		free(obs);
		free(pred);
		return report_score(&s);
	}
out:
	if (fo)
		fclose(fo);
	if (fp)
		fclose(fp);
	free(obs);
	free(pred);
	return ptv_cli_report(err);
}

static const struct option longopts[] = {
	{ "live", no_argument, NULL, 'l' },
	{ "kernel", required_argument, NULL, 'k' },
	{ "format", required_argument, NULL, 'f' },
	{ "score", no_argument, NULL, 's' },
	{ "compare", no_argument, NULL, 'c' },
	{ "explain", no_argument, NULL, 'e' },
	{ "timing", no_argument, NULL, 't' },
	{ "from", required_argument, NULL, 'F' },
	PTV_CLI_CORE_LONGOPTS,
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_replay(int argc, char **argv)
{
	const struct ptv_cmd_entry *self = &ptv_cmd_replay_entry;
	bool json = false, live = false, score = false, compare = false;
	bool explain = false, timing = false;
	const char *from = NULL;
	struct ptv_kernel_opts ko = { 0 };
	const char *kernel = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			live = true;
			break;
		case 'k':
			kernel = optarg;
			break;
		case 's':
			score = true;
			break;
		case 'c':
			compare = true;
			break;
		case 'e':
			explain = true;
			break;
		case 't':
			timing = true;
			break;
		case 'F':
			from = optarg;
			break;
		case 'f':
			if (!ptv_cli_parse_format(optarg, &json))
				return ptv_cli_usage_error(self, "--format "
					"takes text or json, not '%s'", optarg);
			break;
		case 'h':
			printf("usage: ptview replay %s\n", self->usage);
			return PTV_EXIT_OK;
		case ':':
			return ptv_cli_usage_error(self, "%s needs an argument",
						   argv[optind - 1]);
		default:
			if (ptv_cli_core_opt(c, optarg, &ko))
				break;
			return ptv_cli_usage_error(self, "unknown option '%s'",
						   argv[optind - 1]);
		}
	}
	int ostatus;
	if (!ptv_cli_core_opts_ok(self, &ko, &ostatus))
		return ostatus;
	if (ko.core && !from)
		return ptv_cli_usage_error(self, "--core names the dump that "
					   "--from PID is taken from");
	if (score) {
		if (live || kernel || compare)
			return ptv_cli_usage_error(self, "--score takes no "
						   "--live, --compare or "
						   "--kernel");
		if (argc - optind != 2)
			return ptv_cli_usage_error(self, "--score needs "
						   "OBSERVED and PREDICTED");
		return run_score(argv[optind], argv[optind + 1]);
	}
	if (argc - optind != 1)
		return ptv_cli_usage_error(self, "needs one TRACE");
	if (live && compare)
		return ptv_cli_usage_error(self, "--compare runs --live "
					   "itself");
	if ((live || compare) && from)
		return ptv_cli_usage_error(self, "--from predicts from a "
			"snapshot; --live and --compare run fresh processes");
	if ((live || compare) && kernel)
		return ptv_cli_usage_error(self, "--kernel names the kernel to "
			"predict; --live and --compare run the running one");
	if ((live || compare) && geteuid() != 0)
		return ptv_cli_report(ptv_error_create(PTV_ERR_PERM,
			"replay %s needs root (it reads PFNs, kpageflags and "
			"kpagecount, and sets THP sysfs files)",
			live ? "--live" : "--compare"));
	struct ptv_trace *t;
	struct ptv_error *err = ptv_trace_load(argv[optind], &t);
	if (err)
		return ptv_cli_report(err);
	struct ptv_replay_model_opts mo = { .kernel = kernel,
					    .zero_page_maps = -1 };
	struct ptv_snapshot *snap = NULL;
	if (from) {
		/* a PID (or "self") is snapshotted now; else a .ptsnap file */
		char *end;
		long pid = strtol(from, &end, 10);
		bool is_pid = *from && !*end && pid > 0 && pid <= INT32_MAX;
		if (ko.core && !is_pid)
			err = ptv_error_create(PTV_ERR_USAGE, "with --core, "
				"--from takes the PID of a task in the dump");
		else if (ko.core)
			err = ptv_snapshot_take_core(&ko, (int)pid, &snap);
		else if (!strcmp(from, "self"))
			err = ptv_snapshot_take(getpid(), &snap);
		else if (is_pid)
			err = ptv_snapshot_take((pid_t)pid, &snap);
		else
			err = ptv_snapshot_read(from, &snap);
		if (err) {
			ptv_trace_destroy(t);
			return ptv_cli_report(err);
		}
		mo.from = snap;
	}
	/* A closed stdout must end the run through the normal path, which
	 * restores the sysfs settings, not through SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (compare) {
		int rc = run_compare(t, &mo);
		ptv_trace_destroy(t);
		return rc;
	}
	struct printer pr = { .f = stdout, .json = json, .explain = explain,
			      .timing = timing };
	clock_gettime(CLOCK_MONOTONIC, &pr.last);
	struct ptv_replay_sink sink = { &pr, print_event, print_page,
					print_counters };
	err = live ? ptv_replay_live(t, &sink) : ptv_replay_model(t, &mo, &sink);
	ptv_trace_destroy(t);
	ptv_snapshot_destroy(snap);
	if (fflush(stdout) != 0 && !err)
		err = ptv_error_create(PTV_ERR_OTHER, "writing the records "
				       "failed");
	return ptv_cli_report(err);
}

const struct ptv_cmd_entry ptv_cmd_replay_entry = {
	.name = "replay",
	.usage = "TRACE [--live | --compare] [--from PID|FILE.ptsnap "
		 "| --core DUMP [type options] --from PID] "
		 "[--kernel VERSION] [--explain] [--timing] [--format=text|json] "
		 "| --score OBSERVED PREDICTED",
	.summary = "predict what a trace of mm events does, run it on the "
		   "running kernel, compare the two",
	.exec = cmd_replay,
};
