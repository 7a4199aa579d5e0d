# %% [markdown]
# # byz from Python
#
# Run a sweep written in the byz language, read its results into pandas and
# draw one figure. Each `# %%` starts a cell (VS Code, Jupytext, Spyder).
# Needs `pip install "byz[pandas]" matplotlib`.

# %%
from pathlib import Path

import matplotlib.pyplot as plt

import byz

# Mean estimation (000 §5.2): 12 honest workers each draw a point of N(μ, I) per
# step; 3 Byzantine workers attack the coordinate-wise median. Three seeds.
Path("attacks.byz").write_text("""scenario attacks {
  seeds 1..=3
  task mean_estimation {
    dim 2
    mean [2, 2]
    std 1
  }
  workers {
    honest 12
    byzantine 3
  }
  aggregate cm
  train {
    steps 30
    lr 0.1
  }
  sweep {
    attack in [none, sf, alie, mimic]
  }
  table {
    rows attack
    value final loss
  }
}
""")
byz.check("attacks.byz")  # raises byz.CheckError, with each place, if the file is wrong
results = byz.run("attacks.byz", out="results")

# %%
runs = results.runs  # one row per run: attack, seed, final_loss, ...
print(runs[["attack", "seed", "final_loss", "mean_loss"]])
print(results.table())  # the table the scenario declares: mean ± 95% CI per attack

# %%
curves = results.curves  # one row per run × step × metric
loss = curves[curves.metric == "loss"].groupby(["attack", "step"]).value.mean().unstack(0)
ax = loss.plot(figsize=(4, 3), title="honest loss under cm, mean of 3 seeds")
ax.set_xlabel("step")
ax.set_ylabel("honest training loss")
plt.tight_layout()
plt.savefig("final_loss.png", dpi=150)
