import os


@decorator(arg=1)
class A(Base, metaclass=Meta):
    """Docstring."""

    x: int = 0

    async def run(self, *args, **kw) -> None:
        if (n := len(args)) > 1:
            async with lock:
                await other(
                    1,  # a comment inside brackets

                    2,
                )
            for i in range(n):
                if i:
                    pass
        # comment at a shallower level
                # comment at a deeper level
        return None

    @property
    def prop(self):
        return [x
                for x in self.items
                if x]


def f(a, /, b, *, c):
    total = a + \
        b + \
            c
    total **= 2
    total //= 3
    total >>= 1
    total <<= 1
    total @= m
    total ^= 1; total |= 2; total &= 3
    return ..., a != b, a <= b, a >= b, a == b, ~a, -a % b


def g():
	return 1  # indented with a tab


if True:
    if True:
        if True:
            x = 1
y = 2
