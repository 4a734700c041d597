DROP TABLE grade_publications;
