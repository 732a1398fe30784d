if x:
  y
  # c
