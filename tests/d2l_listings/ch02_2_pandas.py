# ruff: noqa - the book's code, kept verbatim
"""d2l-en, §2.2 "Data Preprocessing" (MXNet tab), with only the import changed.

Deviation, in the marked prelude: pandas 2 refuses the book's `inputs.fillna(inputs.mean())`
(the mean of a frame with a text column raises TypeError), under either engine. The prelude
makes `DataFrame.mean` default to `numeric_only=True`, pandas 1's behaviour that the book
relied on; and `pd.get_dummies` returns 0/1 floats as pandas 1's uint8 columns converted by
`.values`, where pandas 2 returns bools that make `inputs.values` an object array. The book's
`../data` is made inside the run's temporary folder.
"""
# ---- prelude (not the book's) ----
import os

import synthetic

synthetic.headless()
os.makedirs('work', exist_ok=True)
os.chdir('work')                    # so that '../data' is the run's own folder

import pandas as _pd

_mean = _pd.DataFrame.mean

def _numeric_mean(self, *args, numeric_only=True, **kwargs):
    return _mean(self, *args, numeric_only=numeric_only, **kwargs)

_pd.DataFrame.mean = _numeric_mean
_get_dummies = _pd.get_dummies

def _float_dummies(*args, dtype=float, **kwargs):
    return _get_dummies(*args, dtype=dtype, **kwargs)

_pd.get_dummies = _float_dummies

# ---- the book ----
import os

os.makedirs(os.path.join('..', 'data'), exist_ok=True)
data_file = os.path.join('..', 'data', 'house_tiny.csv')
with open(data_file, 'w') as f:
    f.write('NumRooms,Alley,Price\n')  # Column names
    f.write('NA,Pave,127500\n')  # Each row is a data example
    f.write('2,NA,106000\n')
    f.write('4,NA,178100\n')
    f.write('NA,NA,140000\n')

# If pandas is not installed, just uncomment the following line:
# !pip install pandas
import pandas as pd

data = pd.read_csv(data_file)
print(data)

inputs, outputs = data.iloc[:, 0:2], data.iloc[:, 2]
inputs = inputs.fillna(inputs.mean())
print(inputs)

inputs = pd.get_dummies(inputs, dummy_na=True)
print(inputs)

# ---- the book: import line changed ----
from microgradnd import np

X, y = np.array(inputs.values), np.array(outputs.values)
X, y

# ---- checks (not the book's) ----
synthetic.report_cells(globals())
