if x:
  y

