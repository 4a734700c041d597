DROP TABLE continuous_validation;
