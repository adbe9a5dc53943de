# Data preparation step of the interop pipeline files.
import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--raw")
parser.add_argument("--out")
args = parser.parse_args()
print(f"preparing {args.raw} -> {args.out}")
