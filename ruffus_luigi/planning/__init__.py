"""Which jobs run and why: graph, parameters, plan, plan cache, job history, printouts. No Luigi."""
