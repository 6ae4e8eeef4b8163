--(pep:not-- migREATE downDROP TABLE tet-- mi
