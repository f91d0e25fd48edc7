"""summarize.py RESULTS.jsonl: a table of train.js runs and the epoch-3 statistics
against the seed's Keras target (loss 0.0968, val_loss 0.0926)."""
import json
import statistics as S
import sys

rows = [json.loads(l) for l in open(sys.argv[1])]
seeds = [r for r in rows if r['seed'] != 'goldinit']
print('| seed | ep1 loss | ep1 val | ep2 loss | ep2 val | ep3 loss | ep3 val | meets both | secs |')
print('|---|---|---|---|---|---|---|---|---|')
for r in rows:
    e = r['epochs']
    ok = e[-1]['loss'] <= 0.0968 and e[-1]['val_loss'] <= 0.0926
    name = r['seed'] if r['seed'] != 'goldinit' else 'init.onnx (shuffle seed %s)' % r['shuffleSeed']
    cells = ' | '.join('%.4f | %.4f' % (x['loss'], x['val_loss']) for x in e)
    print('| %s | %s | %s | %.0f |' % (name, cells, 'yes' if ok else 'no', e[-1]['secs']))
if seeds:
    L = [r['epochs'][-1]['loss'] for r in seeds]
    V = [r['epochs'][-1]['val_loss'] for r in seeds]
    n = sum(1 for a, b in zip(L, V) if a <= 0.0968 and b <= 0.0926)
    print('\nown-init seeds: n=%d' % len(seeds))
    print('epoch-3 loss: min %.4f median %.4f max %.4f' % (min(L), S.median(L), max(L)))
    print('epoch-3 val_loss: min %.4f median %.4f max %.4f' % (min(V), S.median(V), max(V)))
    print('meet both targets: %d/%d' % (n, len(seeds)))
