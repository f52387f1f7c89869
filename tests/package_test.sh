#!/usr/bin/env bash
# Builds the Debian package from a configured and built tree, checks its
# metadata and file list, unpacks it into a scratch root and runs the
# packaged ggplace from there.
#   package_test.sh BUILD_DIR VERSION
set -euo pipefail
build=$(cd "$1" && pwd)
version=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; echo "FAIL: cpack -G DEB"; exit 1; }
deb=$(find "$work/out" -maxdepth 1 -name 'ggplace_*.deb' | head -n1)
[ -n "$deb" ] || { cat "$work/cpack.log"; echo "FAIL: no ggplace_*.deb built"; exit 1; }
echo "package: $(basename "$deb")"

passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

[ "$(dpkg-deb -f "$deb" Package)" = ggplace ] && ok || bad "Package is not ggplace"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] && ok || bad "Version is not $version"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libcjson1 libpcre2-8-0 libhwloc15 libyaml-0-2; do
  case ", $depends," in *", $lib"[,\ ]*) ok ;; *) bad "Depends lacks $lib: $depends" ;; esac
done
# libcurl is opened at run time to read URLs: recommended, not required.
case ", $depends," in *", libcurl"*) bad "Depends names libcurl: $depends" ;; *) ok ;; esac
[ "$(dpkg-deb -f "$deb" Recommends)" = libcurl4 ] && ok || bad "Recommends is not libcurl4"

list=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/ggplace ./usr/include/ggplace.h ./usr/share/man/man1/ggplace.1.gz \
         ./usr/share/bash-completion/completions/ggplace ./usr/share/zsh/vendor-completions/_ggplace; do
  grep -qx -- "$f" <<<"$list" && ok || bad "missing $f"
done
for pat in '^\./usr/lib/(.*/)?libggplace\.so\.'"$version"'$' '^\./usr/lib/(.*/)?libggplace\.so$' '^\./usr/lib/(.*/)?libggplace\.a$' \
           '^\./usr/lib/(.*/)?pkgconfig/ggplace\.pc$'; do
  grep -qE -- "$pat" <<<"$list" && ok || bad "nothing matches $pat"
done

root=$work/root
dpkg-deb -x "$deb" "$root"
libdir=$(dirname "$(find "$root/usr/lib" -name 'libggplace.so.*' | head -n1)")
got=$(LD_LIBRARY_PATH="$libdir" "$root/usr/bin/ggplace" --version)
[ "$got" = "ggplace $version" ] && ok || bad "packaged ggplace --version printed '$got'"
# Every library the binary and libggplace need is found (Depends covers them).
missing=$(LD_LIBRARY_PATH="$libdir" ldd "$root/usr/bin/ggplace" "$libdir"/libggplace.so.* | grep 'not found' || true)
[ -z "$missing" ] && ok || bad "unresolved libraries: $missing"
# The man page is valid gzip and names every command.
zcat "$root/usr/share/man/man1/ggplace.1.gz" | grep -q '^\.SS "ggplace plan ' && ok || bad "man page unreadable"
# The pkg-config file points into the package's own tree.
inc=$(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags-only-I ggplace | tr ' ' '\n' | sed -n 's/^-I//p' | head -n1)
[ -n "$inc" ] && [ "$(realpath "$inc")" = "$(realpath "$root/usr/include")" ] && ok ||
  bad "pkg-config --cflags gives '$inc', not the unpacked package's include directory"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
