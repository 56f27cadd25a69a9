#!/usr/bin/python3
"""SparseNAS: per-layer sparsity and block shape for a chosen subnet, priced by
the sparse kernels' costs in the compiler's cost model; then fine-tuned,
pruned and exported.

  tools/nas/sparsenas.py --supernet DIR/supernet.pt --arch DIR/arch.json --out DIR
                         [--flash 1048576] [--sram 327680] [--cpu cortex-m7]
                         [--sparsities 0,0.5,0.7,0.8,0.9] [--patterns unstructured,1x4,4x1,2:4]
                         [--trials 300] [--max-drop 0.005] [--proxy-images 2000] [--check 4]
                         [--check-steps 300]
                         [--finetune-steps 3000] [--workers 2] [--scheduler ADDRESS]
                         [--data DIR] [--limit N] [--seed 0]

1. The subnet is extracted from the supernet (BatchNorm recalibrated and
   folded) and fine-tuned alone for --check-steps steps: the dense model.
2. Sensitivity proxy: for every prunable layer (convolutions, linear layers,
   attention's projections) and every (sparsity, pattern), the validation
   accuracy (first --proxy-images) with only that layer pruned, one shot;
   a configuration's proxy
   accuracy is the dense accuracy minus the sum of its layers' drops.
3. Search (optuna NSGA-II): per layer a (sparsity, pattern); objectives: proxy
   accuracy up, instructions (cost model, the sparse kernels' fitted costs)
   down; constraints: flash and SRAM.
4. The proxy checked against fine-tuning: --check configurations of the
   Pareto front get a short masked fine-tune (gradual schedule) on the dask
   workers; the log shows proxy beside fine-tuned accuracy. The chosen one is
   the fastest whose fine-tuned accuracy is within --max-drop of the dense
   model's (else the most accurate).
5. It is fine-tuned with a gradual schedule for --finetune-steps, pruned
   (exact zeros), exported: DIR/model.onnx, DIR/calib.npy, DIR/search.json
   (architecture, per-layer sparsity, input_mean / input_std, accuracies, the
   cost estimate), DIR/sparsenas_log.json and DIR/pareto.png; compiled with
   plain `tinyformer compile` and run on the emulator (estimate vs measured).
"""
import argparse
import copy
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import optuna  # noqa: E402
import torch  # noqa: E402

from tinyformer import nas, pruning, supernet  # noqa: E402


def prune_once(model, space, arch, config):
    """A copy of `model` with `config` applied one shot (no fine-tuning)."""
    m = copy.deepcopy(model)
    for p in nas.pruners(m, space, arch, config):
        p.set_final_masks()
        p.apply()
    return m.eval()


def finetune_config(model, space, arch, config, data, steps, seed):
    """Masked fine-tuning with a gradual schedule over the first 3/4 of the
    steps; returns (model, validation accuracy)."""
    m = copy.deepcopy(model)
    sched = pruning.GradualSchedule(0, max(1, steps * 3 // 4), every=max(1, steps // 20))
    prs = nas.pruners(m, space, arch, config, sched)
    for p in prs:
        p.update_masks(0)
        p.apply()
    nas.finetune(m, data, steps, prs, seed=seed)
    for p in prs:
        p.finalize()
    return m, nas.model_accuracy(m, data)


_cache = {}


def _worker_finetune(model_path, space, arch, config, dataset, data_dir, limit, steps, seed):
    torch.set_num_threads(1)
    key = (dataset, data_dir, limit)
    if key not in _cache:
        _cache.clear()
        _cache[key] = nas.load_data(dataset, data_dir, limit=limit)
    model = torch.load(model_path)
    return finetune_config(model, space, arch, config, _cache[key], steps, seed)[1]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--supernet", required=True)
    p.add_argument("--arch", required=True)
    p.add_argument("--out", required=True)
    nas.add_common_args(p)
    p.add_argument("--sparsities", default="0,0.5,0.7,0.8,0.9")
    p.add_argument("--patterns", default="unstructured,1x4,4x1,2:4")
    p.add_argument("--trials", type=int, default=300)
    p.add_argument("--max-drop", type=float, default=0.005)
    p.add_argument("--proxy-images", type=int, default=2000,
                   help="validation images of the sensitivity proxy")
    p.add_argument("--check", type=int, default=4)
    p.add_argument("--check-steps", type=int, default=300)
    p.add_argument("--finetune-steps", type=int, default=3000)
    a = p.parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    t_start = time.time()
    net, ck = nas.load_supernet(a.supernet)
    space, arch = ck["space"], json.load(open(a.arch))
    dataset = ck.get("dataset", "fashion-mnist")
    data = nas.load_data(dataset, a.data, limit=a.limit, seed=a.seed)
    budget = nas.Budget(a.flash, a.sram, a.cpu)
    os.makedirs(a.out, exist_ok=True)
    log = {"command": " ".join(sys.argv), "arch": arch}

    # 1. The dense subnet, fine-tuned alone.
    dense = nas.extract(net, arch, data)
    nas.finetune(dense, data, a.check_steps, seed=a.seed)
    log["dense_accuracy"] = base = nas.model_accuracy(dense, data)
    proxy_base = nas.model_accuracy(dense, data, images=a.proxy_images)
    dense_cost = budget.check(space, arch)
    log["dense_cost"] = dense_cost
    print("dense subnet: validation accuracy %.4f, %d instructions (cost model)" % (
        base, dense_cost["estimated_instructions"]), flush=True)

    # 2. Sensitivity.
    layers = [i for i, _ in nas.prunable(dense, space, arch)]
    options = [(0.0, "unstructured")]
    for pattern in a.patterns.split(","):
        if pattern in ("2:4", "1:4"):
            options.append((pruning.nm_sparsity(pattern), pattern))
        else:
            options += [(float(s), pattern) for s in a.sparsities.split(",") if float(s) > 0]
    drop = {}
    t0 = time.time()
    for i in layers:
        for s, pattern in options[1:]:
            acc = nas.model_accuracy(prune_once(dense, space, arch, {i: (s, pattern)}), data,
                                     images=a.proxy_images)
            drop[(i, s, pattern)] = proxy_base - acc
    log["sensitivity"] = [{"layer": i, "sparsity": s, "pattern": pt, "drop": d}
                          for (i, s, pt), d in drop.items()]
    log["sensitivity_seconds"] = time.time() - t0
    print("sensitivity of %d layers x %d options in %.0f s" % (
        len(layers), len(options) - 1, time.time() - t0), flush=True)

    # 3. Search on the proxy and the cost model.
    names = {i: "layer%d" % i for i in layers}
    labels = ["%g/%s" % o for o in options]

    def config_of(params):
        return {i: options[labels.index(params[names[i]])] for i in layers}

    def proxy(config):
        return base - sum(drop.get((i, s, pt), 0.0) for i, (s, pt) in config.items() if s > 0)

    def objective(trial):
        config = config_of({names[i]: trial.suggest_categorical(names[i], labels)
                            for i in layers})
        c = budget.check(space, arch, config)
        trial.set_user_attr("violation", 0.0 if c["fits"] else 1.0)
        trial.set_user_attr("cost", {k: c[k] for k in ("estimated_instructions", "weight_bytes",
                                                      "arena_bytes") if k in c})
        return proxy(config), c["estimated_instructions"] if c["fits"] else 1e12

    study = optuna.create_study(directions=["maximize", "minimize"],
                                sampler=optuna.samplers.NSGAIISampler(
                                    seed=a.seed,
                                    constraints_func=lambda t: [t.user_attrs["violation"]]))
    study.enqueue_trial({names[i]: labels[0] for i in layers})
    study.optimize(objective, n_trials=a.trials)
    ok = [t for t in study.trials if not t.user_attrs["violation"]]
    points = [tuple(t.values) for t in ok]
    front = sorted(nas.pareto_front(points), key=lambda k: points[k][1])
    log["trials"] = [{"params": t.params, "proxy_accuracy": t.values[0],
                      "instructions": t.values[1], "violation": t.user_attrs["violation"]}
                     for t in study.trials]

    # 4. The proxy against fine-tuning, on the workers.
    step = max(1, len(front) // max(1, a.check))
    checks = front[::step][:a.check]
    model_path = os.path.join(a.out, "dense.pt")
    torch.save(dense, model_path)
    from distributed import Client, LocalCluster
    cluster = None if a.scheduler else LocalCluster(n_workers=a.workers, threads_per_worker=1,
                                                    processes=True, dashboard_address=None)
    client = Client(a.scheduler or cluster)
    try:
        futures = [client.submit(_worker_finetune, model_path, space, arch,
                                 config_of(ok[k].params), dataset, a.data, a.limit,
                                 a.check_steps, a.seed, pure=False) for k in checks]
        tuned = client.gather(futures)
    finally:
        client.close()
        if cluster:
            cluster.close()
    log["checked"] = [{"trial": ok[k].number, "proxy_accuracy": points[k][0],
                       "finetuned_accuracy": acc, "instructions": points[k][1]}
                      for k, acc in zip(checks, tuned)]
    for c in log["checked"]:
        print("checked trial %d: proxy %.4f, fine-tuned %.4f, %d instructions" % (
            c["trial"], c["proxy_accuracy"], c["finetuned_accuracy"], c["instructions"]))
    good = [(k, acc) for k, acc in zip(checks, tuned) if acc >= base - a.max_drop]
    if good:
        chosen = min(good, key=lambda g: points[g[0]][1])[0]
    else:
        chosen = checks[max(range(len(tuned)), key=lambda j: tuned[j])]
    config = config_of(ok[chosen].params)
    nas.plot_pareto(os.path.join(a.out, "pareto.png"), points, front, chosen,
                    "SparseNAS (proxy accuracy, %d trials)" % len(study.trials))

    # 5. Fine-tune, prune, export, measure.
    model, acc = finetune_config(dense, space, arch, config, data, a.finetune_steps, a.seed)
    test_acc = nas.model_accuracy(model, data, "test")
    path = nas.export(model, space, data, a.out)
    est = budget.check(space, arch, config)
    measured = nas.measure(path, os.path.join(a.out, "calib.npy"),
                           os.path.join(a.out, "measure"), a.cpu, a.tinyformer,
                           flash=a.flash, sram=a.sram)
    result = {
        "architecture": arch,
        "sparsity": {str(i): {"sparsity": s, "pattern": pt} for i, (s, pt) in config.items()},
        "layers": supernet.cost_layers(space, arch, config),
        "input_mean": data["input_mean"], "input_std": data["input_std"],
        "dataset": dataset, "validation_accuracy": acc, "test_accuracy_float": test_acc,
        "dense_validation_accuracy": base, "cost_model": est, "measured": measured,
        "budgets": {"flash": a.flash, "sram": a.sram, "cpu": a.cpu},
    }
    json.dump(result, open(os.path.join(a.out, "search.json"), "w"), indent=1)
    log.update({"chosen_trial": ok[chosen].number, "result": result,
                "seconds": time.time() - t_start})
    json.dump(log, open(os.path.join(a.out, "sparsenas_log.json"), "w"), indent=1)
    print("chosen: validation %.4f (dense %.4f), float test %.4f; cost model %d instructions,"
          " measured %s -> %s" % (acc, base, test_acc, est["estimated_instructions"],
                                  measured.get("measured_instructions", measured.get("error")),
                                  os.path.join(a.out, "model.onnx")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
