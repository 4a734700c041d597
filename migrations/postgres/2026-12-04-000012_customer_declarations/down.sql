DROP TABLE customer_declarations;
