"""mlops: compile one mlops.yaml into the infrastructure of an ML system on Kubernetes."""
