SELECT 'a;b', $$c;d$$, "e;f" FROM orders.orders -- ; DROP TABLE x
/* ; */ ; SELECT 1