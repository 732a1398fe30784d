#include <stdio.h>
int main(void)
{
	puts("ciguard " CIGUARD_VERSION);
	return 0;
}
