#!/usr/bin/python3
"""Subnet search: accuracy up, instructions down, within flash and SRAM, on a
trained supernet (optuna's NSGA-II; accuracies on dask.distributed; costs from
the compiler's cost model).

  tools/nas/search.py --supernet DIR/supernet.pt --out DIR [--trials 200]
                      [--flash 1048576] [--sram 327680] [--cpu cortex-m7]
                      [--max-instructions N] [--workers 2] [--scheduler ADDRESS]
                      [--batch 8] [--top 3] [--data DIR] [--limit N] [--seed 0]

Each trial is an architecture of the supernet's space. Its cost (instructions,
flash of the weights, the planner's arena) comes from the bindings in
microseconds; one that does not fit is recorded as infeasible (optuna's
constraints) without an accuracy. Accuracies of the feasible ones are
computed `--batch` at a time on the workers: validation accuracy from the
shared weights, BatchNorm recalibrated. The search log DIR/search_log.json
grows trial by trial; rerunning with the same --out resumes from it. At the
end the `--top` candidates of the Pareto front (best accuracy first) are
exported, compiled with plain `tinyformer compile` and run on the emulator:
the log shows each one's estimate beside the measured instructions.
Writes DIR/pareto.png and DIR/arch.json (the most accurate candidate of the
front within the budgets).
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import optuna  # noqa: E402

from tinyformer import nas, supernet  # noqa: E402


def suggest(trial, choices):
    return {name: trial.suggest_categorical(name, options) for name, options in choices.items()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--supernet", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--trials", type=int, default=200)
    nas.add_common_args(p)
    p.add_argument("--max-instructions", type=int, default=0)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--top", type=int, default=3)
    a = p.parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    net, ck = nas.load_supernet(a.supernet)
    space = ck["space"]
    budget = nas.Budget(a.flash, a.sram, a.cpu, a.max_instructions)
    os.makedirs(a.out, exist_ok=True)
    log_path = os.path.join(a.out, "search_log.json")
    log = json.load(open(log_path)) if os.path.exists(log_path) else {"trials": []}
    log.update({"command": " ".join(sys.argv), "budgets": {
        "flash": a.flash, "sram": a.sram, "cpu": a.cpu, "max_instructions": a.max_instructions}})
    choices = supernet.arch_choices(space)
    dists = {n: optuna.distributions.CategoricalDistribution(o) for n, o in choices.items()}

    def constraints(t):
        return [t.user_attrs.get("violation", 0.0)]

    study = optuna.create_study(directions=["maximize", "minimize"],
                                sampler=optuna.samplers.NSGAIISampler(
                                    seed=a.seed, constraints_func=constraints))
    # Resume: the logged trials first.
    for t in log["trials"]:
        study.add_trial(optuna.trial.create_trial(
            params=t["params"], distributions=dists, values=t["values"],
            user_attrs={"violation": t["violation"]}))
    evaluator = nas.Evaluator(a.supernet, ck.get("dataset", "fashion-mnist"), a.data,
                              a.limit, a.workers, a.scheduler)
    t0 = time.time()
    try:
        while len(log["trials"]) < a.trials:
            n = min(a.batch, a.trials - len(log["trials"]))
            trials = [study.ask(dists) for _ in range(n)]
            archs = [supernet.arch_from_params(space, t.params) for t in trials]
            costs = [budget.check(space, arch) for arch in archs]
            feasible = [i for i, c in enumerate(costs) if c["fits"]]
            accs = dict(zip(feasible, evaluator.accuracies([archs[i] for i in feasible])))
            for i, (t, arch, c) in enumerate(zip(trials, archs, costs)):
                acc = accs.get(i, 0.0)
                violation = 0.0 if c["fits"] else 1.0
                t.set_user_attr("violation", violation)
                instr = c["estimated_instructions"] if c["fits"] else 1e12
                study.tell(t, [acc, instr])
                log["trials"].append({
                    "number": len(log["trials"]), "params": t.params, "arch": arch,
                    "values": [acc, instr], "violation": violation,
                    "accuracy": accs.get(i), "cost": {k: v for k, v in c.items()
                                                       if k != "layers"}})
            json.dump(log, open(log_path, "w"), indent=1)
            best = max((t["accuracy"] or 0) for t in log["trials"])
            print("%d/%d trials, best validation accuracy %.4f (%.0f s)" % (
                len(log["trials"]), a.trials, best, time.time() - t0), flush=True)
    finally:
        evaluator.close()
    log["search_seconds"] = log.get("search_seconds", 0) + time.time() - t0
    ok = [t for t in log["trials"] if not t["violation"]]
    points = [(t["accuracy"], t["values"][1]) for t in ok]
    front = nas.pareto_front(points)
    front.sort(key=lambda i: -points[i][0])
    chosen = front[0]
    log["pareto"] = [ok[i]["number"] for i in front]
    log["chosen"] = ok[chosen]["number"]
    json.dump(ok[chosen]["arch"], open(os.path.join(a.out, "arch.json"), "w"), indent=1)
    nas.plot_pareto(os.path.join(a.out, "pareto.png"), points, front, chosen,
                    "subnet search (%d trials, %d within the budgets)" % (
                        len(log["trials"]), len(ok)))
    # The top candidates on the emulator.
    data = nas.load_data(ck.get("dataset", "fashion-mnist"), a.data, limit=a.limit)
    log["measured"] = []
    for rank, i in enumerate(front[:a.top]):
        t = ok[i]
        d = os.path.join(a.out, "top%d" % rank)
        path = nas.export(nas.extract(net, t["arch"], data), space, data, d)
        m = nas.measure(path, os.path.join(d, "calib.npy"), d, a.cpu, a.tinyformer,
                        flash=a.flash, sram=a.sram)
        m.update({"trial": t["number"], "accuracy": t["accuracy"],
                  "cost_model_instructions": t["values"][1]})
        log["measured"].append(m)
        print("top %d (trial %d): accuracy %.4f, cost model %d instructions, measured %s" % (
            rank, t["number"], t["accuracy"], t["values"][1],
            m.get("measured_instructions", m.get("error"))), flush=True)
    json.dump(log, open(log_path, "w"), indent=1)
    print("chosen: trial %d -> %s" % (log["chosen"], os.path.join(a.out, "arch.json")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
