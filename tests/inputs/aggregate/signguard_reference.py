# The authors' signguard_multiclass (JianXu95/SignGuard aggregators/signguard.py), block = all coordinates.
# Usage: python signguard_reference.py SEED {alie,sf,noise,scaled} D  (needs numpy, torch, scikit-learn).
# Writes in_SEED_KIND.json and prints the kept indices and the aggregate of the authors' rule.
import json, sys, numpy as np, torch
from sklearn.cluster import MeanShift, estimate_bandwidth
rng = np.random.default_rng(int(sys.argv[1]))
n_h, d = 12, int(sys.argv[3]) if len(sys.argv) > 3 else 300
honest = rng.normal(0.2, 1.0, size=(n_h, d))
mu, sd = honest.mean(0), honest.std(0)
kind = sys.argv[2]
if kind == "alie": byz = [mu - 1.0 * sd] * 3
elif kind == "sf": byz = [-mu * 4] * 3
elif kind == "noise": byz = list(rng.normal(0, 3, size=(3, d)))
elif kind == "scaled": byz = [mu * 10, mu * 0.01, -mu]
vs = np.vstack([honest] + [np.asarray(b)[None] for b in byz]).astype(np.float32)
json.dump({"vectors": vs.tolist()}, open(f"in_{sys.argv[1]}_{kind}.json", "w"))
grads = torch.tensor(vs)
num_users = len(grads); all_set = set(range(num_users))
l2 = torch.norm(grads, dim=1).numpy(); med = np.median(l2)
b1 = set(int(i) for i in np.argwhere((l2 > 0.1 * med) & (l2 < 3.0 * med)).flatten())
s = grads.shape[1]
sg = torch.sign(grads)
feats = []
for v in (1.0, 0.0, -1.0):
    x = sg.eq(v).sum(dim=1, dtype=torch.float32) / s
    feats.append(x / (x.max() + 1e-8))
feat = torch.stack(feats, dim=1).numpy()
bw = estimate_bandwidth(feat, quantile=0.5, n_samples=50)
ms = MeanShift(bandwidth=bw, bin_seeding=True, cluster_all=False).fit(feat)
labels = ms.labels_
k = len(set(labels)) - (1 if -1 in labels else 0)
best = int(np.argmax([np.sum(labels == i) for i in range(k)]))
b2 = set(int(i) for i in np.argwhere(labels == best).flatten())
kept = sorted(b1 & b2)
gn = torch.norm(grads, dim=1).reshape(-1, 1); clip = gn.median(dim=0)[0].item()
agg = ((grads / gn) * torch.clamp(gn, 0, clip))[kept].mean(dim=0)
print(json.dumps({"kept": kept, "aggregate": agg.tolist(), "bandwidth": float(bw), "labels": labels.tolist()}))
