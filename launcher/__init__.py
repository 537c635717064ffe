"""dptrun: a torchrun-style front end that builds and runs an ``mpiexec`` command line."""
