"""CPU time and peak RSS of the processes under test, from /proc (Linux only)."""

import os

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
        text = handle.read()
    # Fields after the command name, which is in parentheses and may contain spaces: state is index 0.
    return text[text.rindex(")") + 2:].split()


def tree(pid):
    """pid and its direct children (an nginx master and its workers; uma-pep is one process)."""
    pids = [pid]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(_stat_fields(entry)[1]) == pid:
                    pids.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return pids


def cpu_seconds(pids):
    """User + system CPU seconds consumed so far by all threads of `pids` (/proc/<pid>/stat utime + stime)."""
    total = 0
    for pid in pids:
        try:
            fields = _stat_fields(pid)
            total += int(fields[11]) + int(fields[12])
        except (OSError, ValueError, IndexError):
            continue
    return total / CLOCK_TICKS


def reset_peak_rss(pids):
    """Resets VmHWM (`echo 5 > /proc/<pid>/clear_refs`); returns False where the kernel refuses."""
    ok = True
    for pid in pids:
        try:
            with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as handle:
                handle.write("5")
        except OSError:
            ok = False
    return ok


def peak_rss_kib(pids):
    """Sum of VmHWM (peak resident set, KiB) over `pids`."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
                        break
        except (OSError, ValueError):
            continue
    return total


def loadavg():
    """The 1, 5 and 15 minute load averages."""
    with open("/proc/loadavg", encoding="ascii") as handle:
        return [float(x) for x in handle.read().split()[:3]]


def system_busy_seconds():
    """Machine-wide (busy, steal) CPU seconds so far, from the `cpu` line of /proc/stat."""
    with open("/proc/stat", encoding="ascii") as handle:
        fields = [int(x) for x in handle.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS, steal / CLOCK_TICKS
