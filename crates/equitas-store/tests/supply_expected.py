# The figures crates/equitas-store/tests/supply.rs and crates/equitas-cli/tests/supply.rs
# write out, computed without Equitas: python3 crates/equitas-store/tests/supply_expected.py .
# Independent computation of supply tiers on the SCMS file (not Equitas code):
# value-weighted HHI by manufacturer, site and producing country per
# (molecule/test type, dosage, dosage form) and per that x buying country.
import csv, collections, sys
root = sys.argv[1]
sites = {r['site'].strip(): r for r in csv.DictReader(open(f'{root}/data/scms-manufacturing-sites.csv', encoding='utf-8'))}
def num(s):
    try: return float(s.replace(',', ''))
    except: return None
prod = collections.defaultdict(lambda: collections.defaultdict(lambda: collections.defaultdict(float)))
prodc = collections.defaultdict(lambda: collections.defaultdict(lambda: collections.defaultdict(float)))
unk = collections.defaultdict(lambda: collections.defaultdict(float))
for r in csv.DictReader(open(f'{root}/data/supply_chain_shipment_pricing.csv', encoding='utf-8')):
    v = num(r['line item value'])
    if not v or v <= 0: continue
    key = (r['molecule/test type'].strip(), r['dosage'].strip(), r['dosage form'].split(' - ')[0].strip().lower())
    s = r['manufacturing site'].strip()
    m = sites.get(s)
    tiers = {'manufacturer': m['manufacturer'].strip() if m and m['manufacturer'].strip() else None,
             'site': s or None,
             'country': m['country_iso3'].strip() if m and m['country_iso3'].strip() else None}
    for t, g in tiers.items():
        if g is None: unk[key][t] += v; continue
        prod[key][t][g] += v
        prodc[key + (r['country'].strip(),)][t][g] += v
def hhi(d):
    tot = sum(d.values()); return sum((100*x/tot)**2 for x in d.values())
def show(table, pred):
    for k in sorted(table):
        if pred(k):
            print(k, {t: (len(g), round(hhi(g), 3)) for t, g in table[k].items()}, dict(unk.get(k[:3], {})))
show(prod, lambda k: k[0] == 'Efavirenz' and k[1] == '600mg' and len(k) == 3)
show(prodc, lambda k: k[0] == 'Efavirenz' and k[1] == '600mg' and k[3] == 'Nigeria')
single = [k for k in prod if len(prod[k]['country']) == 1]
print('products', len(prod), 'with country', sum(1 for k in prod if prod[k]['country']), 'single-country', len(single))
print('single-source (manufacturer)', sum(1 for k in prod if len(prod[k]['manufacturer']) == 1))
print('product x country rows', len(prodc), 'single-country', sum(1 for k in prodc if len(prodc[k]['country']) == 1))
weak = collections.Counter()
for k in prod:
    h = {t: round(hhi(g)) for t, g in prod[k].items() if g}
    best = max(['manufacturer', 'site', 'country'], key=lambda t: (h.get(t, -1), -['manufacturer','site','country'].index(t)))
    weak[best] += 1
print('weakest', dict(weak))
