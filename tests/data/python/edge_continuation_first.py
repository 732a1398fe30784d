\
x
