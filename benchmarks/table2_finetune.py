"""Table 2: synthetic pretraining, then fine-tuning on 20 ... 100 % of real MIT-BIH.

The paper's second experiment, per generator: pretrain the classifier on
synthetic beats balanced over the five AAMI classes (the paper: 550 k, 110 k
per class), fine-tune it on a stratified fraction (0.2, 0.4, ..., 1.0, nested
subsets) of the real MIT-BIH training split, and compare with the same
classifier trained on that fraction alone; all scored on the real test split
(:func:`ecgaug.classifiers.learning_curve_finetune`, protocol in
``benchmarks/_curves.py``).

The pretrained model trains longer than the real-only one of the paper's
comparison (its pretraining steps come on top), so the real-only model is
also given the same number of optimisation steps, and, apart, the same
classifier training time (``benchmarks/_curves.py``); the three comparisons
are reported side by side with paired differences over the seeds. Issue 14's
goal is the one at matched steps.

In the standard budget the generator of seed ``s`` is fitted with
``random_state=s``. As in the paper, each generator is fitted on the whole
real training split (shared through the cache with ``table1_protocols``), so
at a fraction below 1.0 the pretrained model has seen, through its generator,
beats of training patients that the real-only model has not: this is the paper's
protocol, not a like-for-like comparison at equal real data.

Usage::

    python benchmarks/table2_finetune.py --budget quick
    # one generator, its finished (generator, seed) curves kept on disk
    python benchmarks/table2_finetune.py --budget standard \
        --generators DiffusionSampler+filter --resume

Paper (1-block network, TTS-CGAN data), accuracy synthetic/real: .9760/.9664
at 0.2 ... .9799/.9751 at 1.0; macro recall .8651/.7700 ... .8168/.7920.
"""

from __future__ import annotations

import sys

import _common as C
import _curves
import _models as M
import numpy as np

NAME = "table2_finetune"
SEEDS = {"smoke": [0, 1], "quick": [0], "standard": [0, 1, 2], "full": [0, 1, 2]}
EPOCHS = {"smoke": 1, "quick": 3, "standard": 6, "full": 30}
N_PRETRAIN = {"smoke": 500, "quick": 25_000, "standard": 55_000, "full": 550_000}


def markdown(rep: dict) -> str:
    res = rep["results"]
    lines = [
        *C.header_markdown(rep, "Table 2: synthetic pretraining, fine-tuning, MIT"),
        f"- classifier: {rep['classifier']['network']}, batch "
        f"{rep['classifier']['batch_size']}, {rep['epochs']} epochs of pretraining "
        f"and {rep['epochs']} of fine-tuning / training from scratch, Adam 1e-3, "
        "last epoch kept",
        f"- pretraining set: {rep['n_pretrain']} synthetic beats, balanced over "
        "the 5 classes; generator fitted on the whole real training split",
        f"- data: {res['source']}: {res['n_train']} training beats, "
        f"{res['n_test']} test beats",
        "",
        *_curves.curves_markdown(res["curves"], C.CLASS_NAMES, C.PAPER["table2"]),
        "## Goal",
        "",
        *[f"- {g['text']}" for g in rep["goals"].values()],
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> dict:
    parser = C.make_parser(__doc__, SEEDS)
    C.add_generators_option(parser, NAME)
    args = C.finish_args(parser.parse_args(argv))
    found, missing = M.generator_classes(args.budget)
    names = C.chosen_generators(parser, args, found)
    report = C.Report(C.subset_name(NAME, args), args, argv, script=NAME)
    report["classifier"] = M.classifier_settings(args.budget)
    report["epochs"] = EPOCHS[args.budget]
    report["n_pretrain"] = N_PRETRAIN[args.budget]
    report["fractions"] = list(_curves.FRACTIONS)
    report["generator_settings"] = M.generator_settings(args.budget, names)
    report["generators_missing"] = missing
    X, y, X_test, y_test, source = C.load_intra(args)
    gen_seeds = {s: M.generator_seed(args.budget, s) for s in args.seeds}
    fitted_seeds = sorted(set(gen_seeds.values()))
    print(f"== fitting {names} (seeds {fitted_seeds}) on {len(y)} training beats")
    grid = M.fit_generator_grid(names, fitted_seeds, X, y, args=args)
    fitted = {gs: {n: grid[n, gs] for n in names} for gs in fitted_seeds}
    by_seed = {seed: fitted[gs] for seed, gs in gen_seeds.items()}
    infos = by_seed[args.seeds[0]]
    curves = _curves.run_curves(
        infos,
        (X, y, X_test, y_test),
        C.CLASS_NAMES,
        args,
        epochs=EPOCHS[args.budget],
        n_pretrain=N_PRETRAIN[args.budget],
        head="keep",
        infos_by_seed=by_seed,
        store=C.job_store(args, NAME),
    )
    report["results"] = {
        "source": source,
        "n_train": int(len(y)),
        "n_test": int(len(y_test)),
        "train_counts": np.bincount(y, minlength=5).tolist(),
        "generators": {
            n: [M.public_info(f[n]) for f in fitted.values()] for n in infos
        },
        "curves": curves,
    }
    report["resumed_jobs"] = C.count_resumed(curves["runs"])
    report["goals"] = _curves.pretraining_goal(curves)
    return report.write(markdown)


if __name__ == "__main__":
    C.ensure_malloc_tuning()
    main()
    sys.exit(0)
