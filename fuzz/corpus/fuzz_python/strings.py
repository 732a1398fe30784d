# String forms: every prefix, both quotes, triple quotes, escapes.
a = 'single' "double" r'raw\' ' R"RAW\"" u'unicode' U"UNI"
b = b'bytes' B"BYTES" rb'x\y' Rb"x" bR'x' BR"x" br'x'
c = '''triple
with 'quotes' and "quotes" and '' inside
''' + """double
triple \""" still inside
"""
d = 'escaped \' quote' "and \\" + 'tail'
e = 'line \
continued in a string'
f = ''   ""   ''''''   """"""
g = r'\N{not a name}' '\N{BULLET}'
h = "é ünïcödé → columns count characters" + x
