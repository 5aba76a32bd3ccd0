#!/bin/sh
# Every man page is lint-clean (mandoc -Tlint, else groff -ww).
. "$PTV_SRCDIR/tests/lib.sh"

for page in "$PTV_SRCDIR"/man/*.[0-9]; do
	name=$(basename "$page")
	if [ -n "${MANDOC:-}" ]; then
		test_expect_success "mandoc -Tlint $name" '
			"$MANDOC" -Tlint -Wwarning "$page" >lint 2>&1; cat lint; ! test -s lint
		'
	elif [ -n "${GROFF:-}" ]; then
		test_expect_success "groff -ww $name" '
			"$GROFF" -ww -z -man "$page" 2>lint; cat lint; ! test -s lint
		'
	else
		test_skip "lint $name" "neither mandoc nor groff is installed"
	fi
done
test_done
