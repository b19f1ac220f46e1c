#!/bin/sh
# plot_leaves_no_trace.sh ALEXNET WORK
# alexnet plot given names that would steer a gnuplot script pasted together from them: an --out
# that closes its quote and calls system(), labels with quotes and newlines, logs in folders whose
# names hold a quote and a newline. Passes when the pictures are drawn under exactly those names and
# nothing else appears: no file x, y or z, no temporary left.
set -eu
alexnet=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
cd "$work"
quote_dir="run'a"
newline_dir="run
b"
mkdir "$quote_dir" "$newline_dir"
for dir in "$quote_dir" "$newline_dir"; do
  printf 'epoch,lr,train_loss,train_top1,subset_loss,subset_top1,val_loss,val_top1,val_top5,seconds\n1,0.01,2.0,0.5,1.8,0.6,1.9,0.55,0.9,3.5\n2,0.01,1.5,0.6,1.3,0.7,1.4,0.65,0.95,3.5\n' >"$dir/log.csv"
done
printf 'step,epoch,lr,loss\n1,0.5,0.01,2.25\n2,1,0.01,2\n3,1.5,0.01,1.75\n4,2,0.01,1.5\n' >"$quote_dir/steps.csv"
"$alexnet" plot "$quote_dir/log.csv" --out "c.png'; system('touch x'); #" --labels "it's'; system('touch y'); #"
"$alexnet" plot "$quote_dir/log.csv" "$newline_dir/log.csv" --out "d.png" \
  --labels "$(printf "a\nsystem('touch z')"),b"
"$alexnet" plot "$quote_dir/log.csv" "$newline_dir/log.csv" --out "e.png"
listing=$(find . -type f | LC_ALL=C sort)
expected=$(printf '%s\n' "./c.png'; system('touch x'); #" ./d.png ./e.png "./$quote_dir/log.csv" "./$quote_dir/steps.csv" "./$newline_dir/log.csv" | LC_ALL=C sort)
if [ "$listing" != "$expected" ]; then
  printf 'expected exactly these files:\n%s\ngot:\n%s\n' "$expected" "$listing" >&2
  exit 1
fi
for png in "c.png'; system('touch x'); #" d.png e.png; do
  [ "$(head -c 4 "$png" | tail -c 3)" = "PNG" ] || { echo "$png is not a PNG" >&2; exit 1; }
done
echo "plot left no trace"
