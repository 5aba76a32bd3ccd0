#!/bin/sh
# Usage errors and help: exit statuses from ../shared/spec/cli.md.
. "$PTV_SRCDIR/tests/lib.sh"

test_expect_success 'no command is a usage error (exit 2)' '
	"$PTVIEW" 2>err; test $? = 2 && grep -q "usage: ptview" err
'
test_expect_success 'unknown command names itself and exits 2' '
	"$PTVIEW" frobnicate 2>err; test $? = 2 &&
	grep -q "^ptview: unknown command .frobnicate." err
'
test_expect_success '--help lists the commands and exits 0' '
	"$PTVIEW" --help >out && grep -q "^  dump " out
'
test_expect_success '--version prints the version' '
	"$PTVIEW" --version | grep -q "^ptview [0-9]"
'
test_done
