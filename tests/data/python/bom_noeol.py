import sys
print(sys)