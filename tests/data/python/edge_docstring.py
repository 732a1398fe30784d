def f():
    """doc
    """
