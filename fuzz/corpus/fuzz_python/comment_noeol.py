def f():
    return 1
# last line, no line break