name = "x"
a = f"hello {name}!"
b = f'{name!r:>10} {name=} {{literal}} }}'
c = f"{ {'k': 1}['k'] }"
d = f"{'}'}" + f'{"{"}' + f"{'a' if name else 'b'}"
e = F"{name:{'>'}{10}}" + fR'\{name}\d' + Rf"{name}\n"
g = f"""triple {name
} with
{'nested' + "quotes"} and {f'{name}'}"""
h = f"\N{BULLET} {name}"
i = f'{3.14:.2f}' f"{1:x}" f"{(lambda: 1)()}"
j = f"{name:{name}}" + f'{[1, 2][0]}' + f"{ {1, 2} }"
