"""The ratchet: baseline.txt records, per version, the runs that matched doveadm
(`same`: stdout, exit code and end state; `exit+state`: exit code and end state).
Stdout counts as the same when it is byte-identical or differs only where no two runs
can agree (report.same_output: anvil's hash order of re-created sessions, which
changes between native runs too, and pw's random salt).
A check fails when one of them matches less than recorded; improvements are listed
so the baseline can be raised with --update-baseline."""

import os

import report

RANK = {"same": 2, "exit+state": 1}


def key(line):
    k = line["original"].replace("\n", " \\n ")
    return k + (f" [variant {line['variant']}]" if line.get("variant") else "")


def status(line):
    if "native" not in line:
        return None
    if line["same_exit"] and line["same_state"]:
        return "same" if report.same_output(line) else "exit+state"
    return None


def load(path):
    out = {}
    if os.path.exists(path):
        for raw in open(path, encoding="utf-8"):
            raw = raw.rstrip("\n")
            if not raw or raw.startswith("#"):
                continue
            v, st, k = raw.split("\t", 2)
            out[(v, k)] = st
    return out


def check(path, data):
    base = load(path)
    regressions, improvements = [], []
    for v, d in data["versions"].items():
        for line in d["lines"]:
            if "native" not in line:
                continue
            k = key(line)
            was = RANK.get(base.get((v, k)), 0)
            now = RANK.get(status(line), 0)
            if now < was:
                regressions.append((v, k, base[(v, k)], line.get("reason", "")))
            elif now > was:
                improvements.append((v, k, status(line)))
    return regressions, improvements


def describe(regressions, improvements):
    out = [f"baseline: {len(regressions)} regression(s), {len(improvements)} improvement(s)"]
    for v, k, was, why in regressions:
        out.append(f"  REGRESSION [{v}] {k}\n      was {was}; now: {why}")
    for v, k, now in improvements:
        out.append(f"  improved [{v}] {k}: now {now}")
    if improvements:
        out.append("  (raise the baseline: scripts/compat --update-baseline, with the same selection)")
    return "\n".join(out)


def update(path, data):
    base = load(path)
    for v, d in data["versions"].items():
        for line in d["lines"]:
            if "native" not in line:
                continue
            st = status(line)
            if st:
                base[(v, key(line))] = st
            else:
                base.pop((v, key(line)), None)
    with open(path, "w", encoding="utf-8") as f:
        f.write("# scripts/compat baseline: runs that match native doveadm (version, what matches, line).\n"
                "# Written by `scripts/compat --update-baseline`; checked by --check-baseline.\n")
        for (v, k), st in sorted(base.items()):
            f.write(f"{v}\t{st}\t{k}\n")
