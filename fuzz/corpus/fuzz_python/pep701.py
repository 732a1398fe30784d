# Python 3.12+ only (PEP 701): skipped by the differential test on older
# interpreters, whose tokenize ends these strings early.
songs = ["a", "b"]
a = f"{", ".join(songs)}"
b = f"{f"{f"{1}"}"}"
c = f"{"}"}" + f'{'\''}'
d = f"playlist: {", ".join([
    'Take me back to Eden',  # My, my, those eyes like fire
    'Alkaline',
])}"
e = f"{'\n'.join(songs)}"
g = f"""{"""nested triple"""}"""
