#!/bin/sh
# site_has_no_outside_links.sh SITE_DIR
# Passes when no symbolic link in the generated site points outside it, so that the
# site works wherever it is copied. Exits 77 (CTest: Skipped) when the site has not
# been built yet (cmake --build --preset default --target docs).
site=$1
if [ ! -d "$site" ]; then
  echo "SKIP: no site at $site (build the docs target first)"
  exit 77
fi
root=$(cd "$site" && pwd -P)
outside=$(find "$site" -type l | while IFS= read -r link; do
  target=$(readlink -f -- "$link")
  case $target in
    "$root"/*) ;;
    *) echo "  $link -> $(readlink -- "$link")" ;;
  esac
done)
if [ -n "$outside" ]; then
  echo "links that point outside the site ($root):"
  echo "$outside"
  exit 1
fi
echo "no link in $root points outside it"
