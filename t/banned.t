#!/bin/sh
# banned.t - no unbounded string functions in dmarcwarden's C sources
# (STYLE.md: strcpy, strcat, sprintf, vsprintf, gets, strtok).
cd "$(dirname "$0")/.." || exit 1
echo "1..1"
hits=$(grep -nE '\b(strcpy|strcat|sprintf|vsprintf|gets|strtok)[[:space:]]*\(' \
	policy/*.c policy/*.h policy/tool/*.c policy/tool/*.h milter/*.c \
	milter/*.h reporter/*.c reporter/*.h contrib/milterload/*.c t/unit/*.c \
	t/fuzz/*.c \
	t/tools/*.c 2>/dev/null | grep -vE 'snprintf|vsnprintf|strtok_r')
if [ -z "$hits" ]; then
	echo "ok 1 - no banned functions"
else
	echo "not ok 1 - banned functions used"
	echo "$hits" | sed 's/^/# /'
fi
