"""Object detection of mines: YOLO datasets from the tiles'
mine band or from any labelled tile folder, spatially grouped splits and k folds, training on
GPU or CPU, zero-shot prediction, georeferenced detections and their evaluation."""
