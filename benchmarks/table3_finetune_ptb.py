"""Table 3: synthetic pretraining, then fine-tuning on 20 ... 100 % of real PTB.

The paper's third experiment: Table 2's protocol (``benchmarks/_curves.py``)
on the PTB Diagnostic ECG Database's myocardial infarction vs healthy-control
beats: each generator is fitted on the PTB training beats, the classifier is
pretrained on synthetic PTB beats balanced over the two classes (the paper:
224 k, 112 k per class) and fine-tuned on growing fractions of the real PTB
training beats, against training on those fractions alone.

PTB beats come from ``load_ptb`` (lead II, R peaks by ``xqrs``, 187 samples at
125 Hz), split 80/20 *by patient* (``GroupShuffleSplit`` on the patient, both
classes on both sides). The script runs wherever the records of ``ptbdb/``
are present under ``--data-home`` (nothing is downloaded); where they are
not, it writes a result saying so and why, with the paper's numbers.

Usage::

    python benchmarks/table3_finetune_ptb.py --budget quick

Paper, accuracy synthetic/real: .6627/.7785 at 0.2 ... .8221/.8902 at 1.0
(synthetic PTB pretraining did not help).
"""

from __future__ import annotations

import sys

import _common as C
import _curves
import _models as M
import numpy as np

NAME = "table3_finetune_ptb"
SEEDS = {"smoke": [0], "quick": [0], "standard": [0, 1, 2], "full": [0, 1, 2]}
EPOCHS = {"smoke": 1, "quick": 3, "standard": 6, "full": 30}
N_PRETRAIN = {"smoke": 500, "quick": 20_000, "standard": 55_000, "full": 224_000}
PTB_NAMES = ("healthy", "MI")


def markdown(rep: dict) -> str:
    res = rep["results"]
    lines = [
        *C.header_markdown(rep, "Table 3: synthetic pretraining + fine-tuning, PTB"),
        "",
    ]
    if "skipped" in res:
        lines += [f"**Not run.** {res['skipped']}", "", "Paper's Table 3:", ""]
        header = ["fraction", "acc synth/real", "P synth/real", "R synth/real"]
        rows = [
            [
                f"{f:.1f}",
                f"{p[0]:.4f}/{p[1]:.4f}",
                f"{p[2]:.4f}/{p[3]:.4f}",
                f"{p[4]:.4f}/{p[5]:.4f}",
            ]
            for f, p in C.PAPER["table3"].items()
        ]
        return "\n".join(lines + C.md_table(header, rows)) + "\n"
    lines += [
        f"- classifier: {rep['classifier']['network']}, {rep['epochs']} epochs of "
        "pretraining and of fine-tuning / training from scratch, Adam 1e-3",
        f"- pretraining set: {rep['n_pretrain']} synthetic PTB beats, balanced",
        f"- data: {res['source']}: {res['n_train']} training beats "
        f"{res['train_counts']}, {res['n_test']} test beats",
        "",
        *_curves.curves_markdown(res["curves"], PTB_NAMES, C.PAPER["table3"]),
        "## Goal",
        "",
        *[f"- {g['text']}" for g in rep["goals"].values()],
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> dict:
    parser = C.make_parser(__doc__, SEEDS)
    args = C.finish_args(parser.parse_args(argv))
    report = C.Report(NAME, args, argv)
    report["classifier"] = M.classifier_settings(args.budget)
    report["epochs"] = EPOCHS[args.budget]
    report["n_pretrain"] = N_PRETRAIN[args.budget]
    report["fractions"] = list(_curves.FRACTIONS)
    report["paper"] = {str(k): v for k, v in C.PAPER["table3"].items()}
    ptb, status = C.load_ptb_if_present(args)
    print(status)
    if ptb is None:
        report["results"] = {"skipped": status}
        report["goals"] = {}
        return report.write(markdown)
    tr, te, split_seed = C.patient_split(
        ptb.groups, ptb.target, test_size=0.2, need=(0, 1)
    )
    X, y, X_test, y_test = ptb.data[tr], ptb.target[tr], ptb.data[te], ptb.target[te]
    found, missing = M.generator_classes(args.budget)
    report["generator_settings"] = M.generator_settings(args.budget, found)
    report["generators_missing"] = missing
    infos = M.fit_generators(list(found), X, y, args=args)
    curves = _curves.run_curves(
        infos,
        (X, y, X_test, y_test),
        PTB_NAMES,
        args,
        epochs=EPOCHS[args.budget],
        n_pretrain=N_PRETRAIN[args.budget],
        head="keep",
    )
    report["results"] = {
        "source": f"{status}; 80/20 split by patient (random_state {split_seed})",
        "n_train": int(len(y)),
        "n_test": int(len(y_test)),
        "train_counts": np.bincount(y, minlength=2).tolist(),
        "generators": {n: M.public_info(i) for n, i in infos.items()},
        "curves": curves,
    }
    report["goals"] = _curves.pretraining_goal(curves)
    return report.write(markdown)


if __name__ == "__main__":
    C.ensure_malloc_tuning()
    main()
    sys.exit(0)
