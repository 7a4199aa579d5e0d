//! Running sweeps on a cluster: the Slurm job array that runs a scenario's
//! missing runs, and the job that collects them.

pub mod slurm;
