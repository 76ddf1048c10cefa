module cadre-portal/bench/loadgen

go 1.22
