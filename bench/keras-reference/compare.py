"""compare.py AEKIT.jsonl REFERENCE.jsonl: aekit's epoch-3 outcomes of the seed
beside the Keras reference's (train.js), and where Keras's one logged run
(loss 0.0968, val_loss 0.0926) falls among them. Runs started from init.onnx
(seed "goldinit") are left out: each side draws its own weights."""
import json
import statistics as S
import sys

from scipy.stats import mannwhitneyu

TARGET = (0.0968, 0.0926)


def epoch3(path):
    rows = [json.loads(l) for l in open(path)]
    rows = [r for r in rows if r['seed'] != 'goldinit']
    return [(r['epochs'][2]['loss'], r['epochs'][2]['val_loss']) for r in rows]


def quartiles(xs):
    q = S.quantiles(xs, n=4)
    return 'min %.4f  q1 %.4f  median %.4f  q3 %.4f  max %.4f' % (min(xs), q[0], q[1], q[2], max(xs))


sides = {'aekit': epoch3(sys.argv[1]), 'reference': epoch3(sys.argv[2])}
for name, runs in sides.items():
    meet = sum(1 for l, v in runs if l <= TARGET[0] and v <= TARGET[1])
    print('%s: n=%d' % (name, len(runs)))
    print('  epoch-3 loss      ' + quartiles([l for l, _ in runs]))
    print('  epoch-3 val_loss  ' + quartiles([v for _, v in runs]))
    print('  meet both targets %d/%d; runs with val_loss <= %.4f: %d/%d' % (
        meet, len(runs), TARGET[1], sum(1 for _, v in runs if v <= TARGET[1]), len(runs)))
for i, what in enumerate(('loss', 'val_loss')):
    a = [r[i] for r in sides['aekit']]
    b = [r[i] for r in sides['reference']]
    p = mannwhitneyu(a, b, alternative='two-sided').pvalue
    print('Mann-Whitney U, epoch-3 %s, aekit vs reference: p = %.3f' % (what, p))
pooled = sides['aekit'] + sides['reference']
k = sum(1 for l, v in pooled if l <= TARGET[0] and v <= TARGET[1])
f = k / len(pooled)
print('pooled: %d of %d runs meet both targets (%.1f%%); three given seeds all meeting them: %.2g' % (
    k, len(pooled), 100 * f, f ** 3))
