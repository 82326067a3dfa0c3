"""The sandbox's controllers: deployment, replicaset and a kubelet stand-in (spec §1, §6.8)."""
