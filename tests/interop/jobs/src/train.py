# Training script of the interop job files (the emulator runs no Python: it only has to exist).
import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--data")
parser.add_argument("--lr", type=float, default=0.01)
parser.add_argument("--epochs", type=int, default=1)
parser.add_argument("--model")
args = parser.parse_args()
print(f"training on {args.data} with lr={args.lr} for {args.epochs} epochs -> {args.model}")
