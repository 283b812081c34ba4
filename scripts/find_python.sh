#!/bin/sh
# Prints the path of a Python 3.12+ interpreter, or nothing. Looks on PATH first, then in
# pyenv's and uv's version folders (a pyenv shim for a version that is installed but not
# selected fails when run, so each candidate is run before it is trusted).
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
for name in python3.13 python3.12 python3.14 python3; do
  p=$(command -v "$name" 2>/dev/null) && ok "$p" && { echo "$p"; exit 0; }
done
root=${PYENV_ROOT:-$HOME/.pyenv}
for p in "$root"/versions/3.13*/bin/python3 "$root"/versions/3.12*/bin/python3 "$root"/versions/3.1[4-9]*/bin/python3 \
         "$HOME"/.local/share/uv/python/cpython-3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] /opt/homebrew/bin/python3.1[2-9]; do
  [ -x "$p" ] && ok "$p" && { echo "$p"; exit 0; }
done
exit 0
