if x:
    pass
  # c
