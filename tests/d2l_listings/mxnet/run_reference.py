"""Record what each listing prints under MXNet 1.9.1: the expected values of test_d2l_listings.py.

    /work/main/.venv/bin/python tests/d2l_listings/mxnet/run_reference.py \
        --python /work/mxvenv/bin/python [listing ...]

MXNet 1.9.1 needs Python <= 3.10: `python3.10 -m venv mxvenv && mxvenv/bin/pip install
"numpy<1.24" mxnet==1.9.1 matplotlib==3.5.1 matplotlib-inline==0.1.6 pandas requests ipython &&
mxvenv/bin/pip install --no-deps d2l==0.17.6`. Each listing runs with D2L_SAME_RANDOM=1 (NumPy
draws the initial parameters and orders the minibatches, so both engines start alike) and the
knobs in REFERENCE_ENV; the results go to expected.json beside this file. Not part of the test
suite: CI has no MXNet.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import runner  # noqa: E402

REFERENCE_ENV = {"D2L_SAME_RANDOM": "1", "D2L_NUM_EPOCHS": "2", "D2L_AIRFOIL_ROWS": "1503",
                 "D2L_MATMUL_N": "64", "D2L_N_TRAIN": "3000", "D2L_N_TEST": "1000",
                 "D2L_N_LINES": "80"}
PER_LISTING = {"ch08_5_rnn": {"D2L_NUM_EPOCHS": "20"}, "ch09_1_gru": {"D2L_NUM_EPOCHS": "20"},
               "ch09_2_lstm": {"D2L_NUM_EPOCHS": "20"}, "ch04_5_weight_decay":
               {"D2L_NUM_EPOCHS": "100"},
               "ch04_2_mlp": {"D2L_NUM_EPOCHS": "3", "D2L_N_TRAIN": "10000"},
               "ch04_6_dropout": {"D2L_NUM_EPOCHS": "3", "D2L_N_TRAIN": "10000"},
               "ch12_5_multiple_gpus": {"D2L_N_TRAIN": "512", "D2L_N_TEST": "256"},
               "ch18_9_naive_bayes": {"D2L_N_TEST": "200"}}
# What each listing prints that depends on the engine's arithmetic (timings excluded).
PRINTED = r"^(epoch \d+, x.*|perplexity [\d.]+|loss: [\d.]+|L2 norm of w: .*)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="/work/mxvenv/bin/python")
    parser.add_argument("listings", nargs="*", default=runner.LISTINGS)
    args = parser.parse_args()
    out = HERE / "expected.json"
    expected = json.loads(out.read_text()) if out.exists() else {}
    for name in args.listings:
        env = {**REFERENCE_ENV, **PER_LISTING.get(name, {})}
        r = runner.run(name, env, python=args.python, mxnet=True)
        print(f"{name:24} {'runs' if r.returncode == 0 else r.failure}", flush=True)
        expected[name] = {"env": env, "returncode": r.returncode, "failure": r.failure,
                          "printed": [m if isinstance(m, str) else m[0]
                                      for m in r.lines(PRINTED)],
                          "result": r.result}
    version = subprocess.run([args.python, "-c", "import platform, mxnet; print("
                              "platform.python_version(), mxnet.__version__)"],
                             capture_output=True, text=True).stdout.split()
    expected["_engine"] = {"python": version[0], "mxnet": version[1], "d2l": "0.17.6"}
    out.write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
