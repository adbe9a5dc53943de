"""Trains a threshold model on the prepared data: the pipeline's second step."""
import argparse
import csv
import json
import pathlib

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--lr", type=float, default=0.01)
parser.add_argument("--model", required=True)
args = parser.parse_args()
rows = list(csv.DictReader(open(pathlib.Path(args.data) / "data.csv")))
accuracy = sum(int(r["x"]) % 2 == int(r["y"]) for r in rows) / len(rows)
out = pathlib.Path(args.model)
out.mkdir(parents=True, exist_ok=True)
(out / "model.json").write_text(json.dumps({"rule": "x % 2", "lr": args.lr}))
print(f"accuracy={accuracy}")
