# Shared helpers for bench/run-*.sh (sourced, not run).

# machine_info prints the markdown lines that date a result and describe
# the machine it came from.
machine_info() {
	local cpu
	cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- machine: nproc $(nproc), CPU ${cpu:-unknown}, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, $(uname -sr)"
	echo "- load average (1/5/15 min) at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- $(go version)"
}
