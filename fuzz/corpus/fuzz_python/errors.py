f'{x'
(]
if x:
    a
  b
'''open