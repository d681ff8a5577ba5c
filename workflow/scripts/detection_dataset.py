"""Rules detection_dataset and detection_dataset_folder: a YOLO dataset of a zoom level's tiles
or of a labelled tile folder."""

from minescan.detection.steps import dataset_from_folder, dataset_from_zoom
from minescan.logs import setup_logging
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    params = dict(sm.params.items())
    outputs = {
        "out_dir": sm.output.dataset,
        "table_out": sm.output.table,
        "scaling_out": sm.output.scaling,
        "summary_out": sm.output.summary,
        "chip_px": params["chip_px"],
        "provenance": provenance(params),
        **params["options"],
    }
    if "folder" in dict(sm.input.items()):
        dataset_from_folder(
            folder=sm.input.folder,
            ranking=sm.input.get("ranking"),
            channels=params["channels"],
            name=sm.input.folder,
            **outputs,
        )
    else:
        dataset_from_zoom(
            cells=sm.input.cells,
            statuses=list(sm.input.statuses),
            tiles=list(sm.input.tiles),
            ranking=sm.input.get("ranking"),
            channels=params["channels"],
            name=f"zoom {sm.wildcards.zoom}",
            **outputs,
        )
