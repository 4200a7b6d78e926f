#!/usr/bin/env bash
# Regenerates DejaVuSans-subset.ttf, the font `mixture select --plot` draws its text with
# (embedded in the binary: no system fonts are needed). DejaVu Sans (Debian's
# fonts-dejavu-core, license in LICENSE-DejaVu.txt) cut to printable ASCII, a few symbols and
# Greek (16 KB instead of 760 KB) with fonttools: `pip install fonttools`.
set -euo pipefail
cd "$(dirname "$0")"
pyftsubset /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf \
  --unicodes="U+0020-007E,U+00B0,U+00D7,U+2013,U+2212,U+03B1-03C9" \
  --no-hinting --desubroutinize --output-file=DejaVuSans-subset.ttf
