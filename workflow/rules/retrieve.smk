# Datasets are resources of the DAG: each is retrieved once, on the submitting host (SLURM login node),
# before any training job reads it: config path -> known local copy (Debian's packages) -> download
# with checksums (pooch). Training jobs only read resources/datasets/<name>.


rule retrieve_dataset:
    output:
        directory("resources/datasets/{dataset}"),
    log:
        "logs/retrieve/{dataset}.log",
    wildcard_constraints:
        dataset="fashion_mnist|cifar10|svhn",
    localrule: True
    conda:
        ENV
    params:
        source=lambda wc: config["deepnet"]["fig8"]["data_paths"].get(wc.dataset),
    script:
        "../scripts/retrieve_dataset.py"
