sh -c 'pytest > >(tee log) 2>&1' | tee x
function f() { a; }
x=(1 2); a |& b
case x in x) a;& y) b;;& esac
time { a; }
! ! pytest
