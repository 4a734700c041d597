DROP TABLE checkpoints;
DROP TABLE merkle_nodes;
DROP TABLE merkle_leaves;
DROP TABLE merkle_head;
